/**
 * Texts for `src/bench/pipeline.ts`.
 *
 * ORDINARY: about 2 KB of ordinary English prose with no personal data and no credentials, what
 * most prompts and answers look like (the throughput target is stated for such text).
 *
 * GUARDRAILS_SAMPLE: the 2,007-byte text of ../shared/bench/guardrails-pii-bench.js (e-mails,
 * phones, cards, one SSN), so @openai/guardrails' PII check and ours run on the same bytes.
 */
export const ORDINARY = [
  'Thanks for the notes from the planning meeting. I read them twice and I think the plan is mostly right, but a few',
  'points need more thought before we commit to the schedule. First, the migration of the reporting jobs depends on',
  'the new storage layer, and that work has not started yet. If it slips by two weeks, everything after it slips too,',
  'so we should either start it now or move the reporting jobs to the second phase. Second, the estimate for the',
  'search rewrite looks optimistic. The last time we changed the indexing code it took longer than expected because',
  'the tests were slow and flaky, and nobody had time to fix them. I would add a week for cleaning up the test suite',
  'first; it will pay for itself. Third, we should agree on how we measure success. Faster pages are nice, but what',
  'users actually complain about is that results are sometimes out of date. A simple dashboard that shows how old the',
  'newest indexed document is would tell us more than any latency chart. Could you also write a short summary of the',
  'risks for the steering group? They mostly want to know what could go wrong, how likely it is, and what we would do',
  'about it. Keep it to one page if you can, with the three biggest risks at the top and a sentence or two on each.',
  'On the staffing question, I agree that we need one more person on the data side, but I would rather borrow someone',
  'for a quarter than open a new position right now. The budget review is next month and it will be easier to argue',
  'for a permanent role once we can show results. Finally, please remember to update the shared calendar with the',
  'review dates, and send the draft of the design document to the whole group by the end of the week so that people',
  'have time to read it before we meet again. Let me know if anything here is unclear or if you see it differently.',
  'I am happy to talk it through over coffee, and I can also join the next stand-up if that would help the team.',
].join(' ');

export const GUARDRAILS_SAMPLE = [
  "Hi team, following up on yesterday's call about the renewal. The customer asked us to update the billing contact",
  'to jane.doe@example.com and to copy their finance desk at accounts.payable@contoso-corp.example on every invoice.',
  'Their main office number is (415) 555-0132 and the after-hours line is +1 212-555-0199; please do not use the old',
  'number 650.555.0147 any more because it was disconnected in March. For the pilot we charged the card ending in',
  '1111, full number 4111 1111 1111 1111, and the replacement card they sent over is 5500-0000-0000-0004 with the same',
  'expiry. They also mentioned that an older Amex, 3782 822463 10005, should be removed from the account entirely.',
  'Legal needs the signed order form before the end of the quarter, and procurement wants a short summary of the',
  'service levels, the escalation path and the data retention policy. One contractor pasted an SSN (078-05-1120) into',
  'the shared notes by mistake; please scrub it. Marketing would like a quote for the case study, ideally two or three',
  'sentences about how the rollout reduced manual work for the support group. The project sponsor, who prefers email',
  'at sponsor.office@fabrikam.example, will review the draft next Tuesday. Otherwise, the deployment itself went well:',
  'the migration finished ahead of schedule, the dashboards were validated by two reviewers, and the old cluster will',
  'be decommissioned once the final reconciliation report is approved. We still owe them a written answer on the',
  'regional hosting question and an updated architecture diagram showing where backups are stored and for how long.',
  'Finally, remind everyone that customer data should only be shared through the approved portal, never in chat,',
  'and that any further payment details must go through the secure form rather than email. If anything is unclear,',
  'call my mobile on (303) 555-0178 or write to the support desk at support@northwind.example; I am travelling on',
  'Thursday but should be reachable most of the day. Thanks a lot, and talk to you soon.',
].join(' ');
