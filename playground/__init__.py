"""The offline playground: the real bot, a Telegram of its own, and a web chat page.

`python -m bot playground` needs no token and reaches nothing outside this machine: the bot
(same code, same handlers) talks to the project's own Bot API (`playground.fakebotapi`, the
one the tests use), the page acts as several people side by side, and the demo world lives
in a SQLite file of its own (`data/playground.sqlite3`, made anew at each start).
"""
