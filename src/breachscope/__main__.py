from breachscope.cli import main

main()
