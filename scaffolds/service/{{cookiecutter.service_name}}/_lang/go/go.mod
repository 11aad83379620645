module {{ cookiecutter.service_name }}

go 1.19
