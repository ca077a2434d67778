"""Mail in and out: MIME parsing, attachment text, IMAP, SMTP, the outbox and the inbox."""
