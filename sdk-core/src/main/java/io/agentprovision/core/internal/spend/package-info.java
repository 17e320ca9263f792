/**
 * Spend ledgers and the rules every ledger shares.
 *
 * <ul>
 *   <li>{@link io.agentprovision.core.internal.spend.LimitMath}: which reservations a limit counts
 *       (its {@link io.agentprovision.core.internal.spend.SpendBucket bucket}, and the window of
 *       its interval in the policy's zone containing the reservation's creation), what a reservation
 *       counts, and whether an amount fits ({@code refusal}, which the planner applies too).
 *   <li>{@link io.agentprovision.core.internal.spend.Settlement}: what commit and release may do.
 *   <li>{@link io.agentprovision.core.internal.spend.InMemorySpendLedger}: the in-memory store. It
 *       keeps a running total per bucket and window ({@code RunningTotals}), so its cost per
 *       operation does not grow with the reservations it holds.
 * </ul>
 *
 * <p>A durable store (JDBC) follows the same rules: it can keep one row of totals per bucket and
 * window start, updated in the transaction that reserves, commits, releases or expires a
 * reservation, for the four buckets the reservation feeds and each calendar (interval and zone)
 * whose totals it keeps; and create a missing row by one recount with the same predicate.
 */
@NullMarked
package io.agentprovision.core.internal.spend;

import org.jspecify.annotations.NullMarked;
