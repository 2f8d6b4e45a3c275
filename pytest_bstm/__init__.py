"""pytest-bstm: report pytest results to BrowserStack Test Management."""

__version__ = "0.1.0"
