"""The service's shared vocabulary, used by every layer and importing none of them.

- `checklist`: the light-touch templates (YAML) as typed objects, and the registry of
  loaded versions;
- `periods`: NHS financial-year months, quarters and years;
- `clock`: now and today (UTC stored, UK shown);
- `formatting`: how figures read (£1,234, 12.5%, 2:30, "1 April 2025");
- `inputs`: the one reader of what a person types or uploads, returning typed values
  or messages per field;
- `patient_data`: the NHS-number guard on free text;
- `small_numbers`: when a figure across practices is too few to show.
"""
