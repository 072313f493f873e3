"""What operates every target together: the `pipeline_metrics` asset (facts read from the run history,
then pure formulas), and the alert sensors."""
