from safepip.main import main

raise SystemExit(main())
