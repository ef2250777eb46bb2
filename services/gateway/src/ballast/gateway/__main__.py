from ballast.gateway.main import main

main()
