# The seed policies: sources are added to libmemrex here.
