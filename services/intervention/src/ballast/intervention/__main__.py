from ballast.intervention.main import main

main()
