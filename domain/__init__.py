"""The programme's rules as plain functions, with no Telegram and no database in sight."""
