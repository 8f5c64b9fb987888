"""Write logic for checklists, one module per subject: templates (built-in sync, Markdown import,
binding), applied (applying templates to repositories), records (ticks, waivers, notes) and states
(stored live states and run snapshots). Import the module you need."""
