module {{ cookiecutter.service_name }}

// The Go of the Dockerfile's builder (and of CI's tests). Go 1.25+ sizes GOMAXPROCS to the container's CPU limit,
// but only for modules that declare a go version that new; keep this line in step with the builder image.
go 1.26.5
