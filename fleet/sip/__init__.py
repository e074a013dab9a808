"""The SIP layer (issue 11): message model, parser and serializer, stream framing and the UAS
validation of RFC 4475 §3. Pure code: no event loop, no engine, no database (import-linter keeps it
so). Transport, transactions, dialogs and authentication come in later increments."""
