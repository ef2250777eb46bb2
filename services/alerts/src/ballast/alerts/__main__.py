from ballast.alerts.main import main

main()
