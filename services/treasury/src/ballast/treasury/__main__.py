from ballast.treasury.main import main

main()
