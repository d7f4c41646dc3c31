from kling_ai_30.cli import main

raise SystemExit(main())
