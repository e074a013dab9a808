"""The call model and engine (DESIGN §4): pure, driven by neutral events and typed ports."""
