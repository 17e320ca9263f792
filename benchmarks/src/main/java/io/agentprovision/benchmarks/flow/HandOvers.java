package io.agentprovision.benchmarks.flow;

import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.spi.ProvisioningListener;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;

/**
 * A flow's start and its end piece by piece, from marks the host's call and the provisioner's events
 * leave (each with its thread and that thread's CPU time): the chain's gaps ({@link ChainGaps}) see the
 * first one as one block from the flow's start to the plan approval put to the person, and the last as
 * one from the verify's answer to the flow's end. Split here:
 *
 * <ul>
 *   <li>the flow's start to the plan made ({@code plan}, on the caller's thread);
 *   <li>the plan made to the run started (its {@code RunStarted} event: {@code execute} deriving the plan
 *       again, journaling the run, its lease, its audit entry);
 *   <li>the run started to its first step started ({@code StepStarted}: the run's steps submitted, the
 *       step's journal line, and the hand-over to the thread that runs it, when it changes threads);
 *   <li>that step's work (the identity check) to its {@code StepFinished};
 *   <li>that step's end to the plan approval put to the person (its output journaled, the next step
 *       started);
 *   <li>the last answer on the wire to the last step's {@code StepFinished} (the verify's end);
 *   <li>that to the run's {@code RunFinished} (the run journaled and audited as ended, its audit log
 *       checked, its lease given up);
 *   <li>that to the host's call returning (the caller woken, when it waited on another thread).
 * </ul>
 *
 * <p>A piece whose two marks were left on one thread also gets the CPU that thread used between them.
 */
final class HandOvers {
  /** A mark: what happened, when ({@link System#nanoTime}), and on which thread with its CPU time then. */
  record Mark(String what, long nanos, OnThread on) {}

  static final String FLOW_START = "flow's start";
  static final String PLAN_MADE = "plan made";
  static final String FLOW_END = "flow's end";
  static final String RUN_STARTED = "run started";
  static final String RUN_FINISHED = "run finished";
  static final String STEP_STARTED = "step started: ";
  static final String STEP_FINISHED = "step finished: ";

  private final ConcurrentLinkedQueue<Mark> marks = new ConcurrentLinkedQueue<>();

  /** Leaves a mark on the calling thread. */
  void mark(String what) {
    long cpu = OnThread.cpuNow();
    marks.add(new Mark(what, System.nanoTime(), new OnThread(Thread.currentThread().getId(), cpu, cpu)));
  }

  /** The marks of the flow so far, forgotten. */
  List<Mark> take() {
    List<Mark> out = new ArrayList<>(marks);
    marks.clear();
    return out;
  }

  /** Marks the run's and its steps' starts and ends as the provisioner tells them, on its threads. */
  ProvisioningListener listener() {
    return e -> {
      if (e instanceof ProvisioningEvent.RunStarted) {
        mark(RUN_STARTED);
      } else if (e instanceof ProvisioningEvent.RunFinished) {
        mark(RUN_FINISHED);
      } else if (e instanceof ProvisioningEvent.StepStarted s) {
        mark(STEP_STARTED + s.step().value());
      } else if (e instanceof ProvisioningEvent.StepFinished f) {
        mark(STEP_FINISHED + f.step().value());
      }
    };
  }

  /** One flow's pieces, in order; a piece whose marks are missing is left out. */
  static Map<String, ChainGaps.Gap> pieces(List<Mark> flowMarks, List<Exchange> exchanges, List<PersonAnswer> answers) {
    List<Mark> ms = new ArrayList<>(flowMarks);
    ms.sort(Comparator.comparingLong(Mark::nanos));
    Mark start = first(ms, FLOW_START);
    Mark plan = first(ms, PLAN_MADE);
    Mark run = first(ms, RUN_STARTED);
    Mark firstStart = firstPrefixed(ms, STEP_STARTED);
    Mark firstEnd = firstStart == null ? null
        : first(ms, STEP_FINISHED + firstStart.what().substring(STEP_STARTED.length()));
    PersonAnswer approval = null;
    for (PersonAnswer a : answers) {
      if ("PLAN_APPROVAL".equals(a.kind()) && (approval == null || a.startNanos() < approval.startNanos())) {
        approval = a;
      }
    }
    Mark asked = approval == null ? null : new Mark("plan approval asked", approval.startNanos(),
        new OnThread(approval.on().thread(), approval.on().startCpu(), approval.on().startCpu()));
    Exchange lastAnswer = null;
    for (Exchange e : exchanges) {
      if (lastAnswer == null || e.endNanos() > lastAnswer.endNanos()) {
        lastAnswer = e;
      }
    }
    Mark answered = lastAnswer == null ? null : new Mark("last answer", lastAnswer.endNanos(),
        new OnThread(lastAnswer.on().thread(), lastAnswer.on().endCpu(), lastAnswer.on().endCpu()));
    Mark lastStepEnd = null;
    for (Mark m : ms) {
      if (m.what().startsWith(STEP_FINISHED)) {
        lastStepEnd = m;
      }
    }
    Mark runEnd = last(ms, RUN_FINISHED);
    Mark end = last(ms, FLOW_END);
    Map<String, ChainGaps.Gap> out = new LinkedHashMap<>();
    piece(out, "start: flow's start -> plan made (plan())", start, plan);
    piece(out, "start: plan made -> RunStarted (execute: plan derived again, run journaled, lease, audit)", plan, run);
    piece(out, "start: RunStarted -> first step's StepStarted (submitted, journaled, handed over)", run, firstStart);
    piece(out, "start: first step's work (" + (firstStart == null ? "?" : firstStart.what().substring(
        STEP_STARTED.length())) + ")", firstStart, firstEnd);
    piece(out, "start: first step's StepFinished -> plan approval asked", firstEnd, asked);
    piece(out, "end: last answer -> last step's StepFinished", answered, lastStepEnd);
    piece(out, "end: last step's StepFinished -> RunFinished (run's end, audit check, lease)", lastStepEnd, runEnd);
    piece(out, "end: RunFinished -> flow's end (the caller woken)", runEnd, end);
    return out;
  }

  private static void piece(Map<String, ChainGaps.Gap> out, String name, @Nullable Mark from, @Nullable Mark to) {
    if (from == null || to == null || to.nanos() < from.nanos()) {
      return;
    }
    boolean same = from.on().noted() && from.on().thread() == to.on().thread();
    out.put(name, new ChainGaps.Gap(to.nanos() - from.nanos(), same ? Math.max(0, to.on().endCpu() - from.on().endCpu())
        : -1));
  }

  private static @Nullable Mark first(List<Mark> ms, String what) {
    for (Mark m : ms) {
      if (m.what().equals(what)) {
        return m;
      }
    }
    return null;
  }

  private static @Nullable Mark firstPrefixed(List<Mark> ms, String prefix) {
    for (Mark m : ms) {
      if (m.what().startsWith(prefix)) {
        return m;
      }
    }
    return null;
  }

  private static @Nullable Mark last(List<Mark> ms, String what) {
    Mark found = null;
    for (Mark m : ms) {
      if (m.what().equals(what)) {
        found = m;
      }
    }
    return found;
  }
}
