"""The panel API's vocabulary, shared by the client and the simulator: service and
status types, order types and their fields, and tolerant parsing of panel values."""
