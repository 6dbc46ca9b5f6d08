"""Harvesting units' public channels (issue 16): ``fetch`` fetches feeds safely, outside
any database session; ``assessment.operations.monitor`` stores what it found."""
