"""The sales board: pipelines and their stages, the kanban, moves between stages (won, lost,
reopened), the objections raised on the way and the pipeline's analytics."""
