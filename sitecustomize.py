"""Only for mutation testing (README, "Development notes"); does nothing otherwise.

mutmut's first pass runs the suite with MUTANT_UNDER_TEST=stats, which every process the
tests start inherits (`python -m bot ...` in a temporary folder). There mutmut cannot find
its configuration and every mutated function fails; such a process runs the original code.
"""

import os

if os.environ.get("MUTANT_UNDER_TEST") == "stats":
    os.environ["MUTANT_UNDER_TEST"] = ""
