import sys

from bot.cli import main

# Guarded: the worker process (bot/workers.py, 'spawn') imports the main module again.
if __name__ == "__main__":
    sys.exit(main())
