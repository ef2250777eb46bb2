from ballast.oracle.main import main

main()
