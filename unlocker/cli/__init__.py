"""The command-line shell: argument parsing and presentation only; the work lives in the library."""
