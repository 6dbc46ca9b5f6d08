"""The application's version, in a module of its own so that the API description can name it
without importing the package that builds the app (which imports the API)."""
__version__ = "0.1.0"
