from ballast.validator_monitor.main import main

main()
