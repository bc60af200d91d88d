import sys

from stb.cli import main

sys.exit(main())
