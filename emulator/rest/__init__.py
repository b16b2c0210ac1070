"""The REST API (`/services/data/vXX.X/...`) as plain request -> response handlers."""
