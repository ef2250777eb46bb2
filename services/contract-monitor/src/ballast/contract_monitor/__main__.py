from ballast.contract_monitor.main import main

main()
