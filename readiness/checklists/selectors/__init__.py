"""Read logic for checklists, one module per subject: templates, states (the facts and the one
function computing a checklist's state), items (a repository's checklists), history, compare,
exports (Markdown and CSV of a comparison) and badge. Import the module you need."""
