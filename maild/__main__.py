from maild.cli import run

run()
