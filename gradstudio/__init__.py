"""gradstudio: build computation graphs and watch them differentiate."""
__version__ = "0.1.0"
