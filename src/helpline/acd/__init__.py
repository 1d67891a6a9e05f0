"""The live ACD: the core's Router run in the web process, persisted and streamed."""
