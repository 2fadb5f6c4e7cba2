"""Answer composition: extractive quotes, generative answers with validated citations,
refusal, eligibility and wording checks."""
