from foibot.cli import run

run()
