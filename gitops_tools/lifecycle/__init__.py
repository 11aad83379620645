"""The golden-path lifecycle: the state a generated repo records, its merge base, drift, update, components and
migrations."""
