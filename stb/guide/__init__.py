"""The programme guide: XMLTV streamed into SQLite, matched to the line-up, queried in milliseconds."""
