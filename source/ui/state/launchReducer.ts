// The launch form's part of the state: pure transitions, like the rest of the reducer.
import { editorReduce, type EditorAction } from './editor.js';
import type { AppState, LaunchFormState, LaunchResultView, ReviewView } from './state.js';
import { isBorrowed, type DraftProblem, type FieldId, type FormContext, type LaunchDraft } from '../panes/launch/draft.js';

export type LaunchAction =
  | { type: 'launch/open'; imageId: string }
  | { type: 'launch/ready'; ctx: FormContext; draft: LaunchDraft }
  | { type: 'launch/failed'; message: string }
  | { type: 'launch/close' }
  | { type: 'launch/focus'; field: FieldId }
  | { type: 'launch/set'; patch: Partial<LaunchDraft> }
  | { type: 'launch/edit'; action: EditorAction }
  | { type: 'launch/vendor-ack' }
  | { type: 'launch/progress'; progress?: string }
  | { type: 'launch/reviewed'; review?: ReviewView; problems: DraftProblem[] }
  | { type: 'launch/back' }
  | { type: 'launch/scroll'; delta: number; max: number }
  | { type: 'launch/launching'; progress: string }
  | { type: 'launch/done'; result: LaunchResultView }
  | { type: 'launch/launch-failed'; message: string }
  | { type: 'launch/agent'; message: string }
  | { type: 'launch/load-draft'; draft: LaunchDraft };

/** The draft fields that are edited as text (the rest are choices, toggles and pickers). */
export const TEXT_FIELDS = new Set<FieldId>([
  'name',
  'count',
  'newFirewallName',
  'rules',
  'keypairName',
  'keypairDirectory',
  'group',
  'billingCode',
  'volumeCount',
  'volumeSize',
  'mountPoint',
  'userDataFile',
  'workflowImageName',
]);

export function isTextField(form: LaunchFormState, field: FieldId): boolean {
  if (field === 'keypairName') return form.draft?.keypairMode === 'create';
  return TEXT_FIELDS.has(field);
}

function textOf(draft: LaunchDraft, field: FieldId): string {
  const value = (draft as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : '';
}

function withForm(state: AppState, change: Partial<LaunchFormState>): AppState {
  return state.launch ? { ...state, launch: { ...state.launch, ...change } } : state;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

export function launchReducer(state: AppState, action: LaunchAction): AppState {
  const form = state.launch;
  switch (action.type) {
    case 'launch/open':
      // The same image's draft is kept when the form is left and opened again.
      if (form && form.imageId === action.imageId && form.draft && form.stage !== 'done') return { ...state, pane: 'launch', launch: { ...form, stage: 'form', error: undefined } };
      return {
        ...state,
        pane: 'launch',
        launch: { stage: 'loading', imageId: action.imageId, focus: 'name', cursor: 0, reviewProblems: [], vendorAck: false, scroll: 0 },
      };
    case 'launch/ready':
      if (!form || form.stage !== 'loading') return state;
      // On a vendor template the first question is the seed's: build your own image, or use the template?
      if (isBorrowed(action.ctx.image)) return withForm(state, { stage: 'form', ctx: action.ctx, draft: action.draft, focus: 'workflow', cursor: 0 });
      return withForm(state, { stage: 'form', ctx: action.ctx, draft: action.draft, focus: 'name', cursor: [...action.draft.name].length });
    case 'launch/failed':
      return withForm(state, { stage: 'failed', error: action.message });
    case 'launch/close': {
      const overlay = state.overlay?.kind === 'picker' || state.overlay?.kind === 'recipe' ? undefined : state.overlay;
      return { ...state, pane: 'images', overlay, launch: form && (form.stage === 'done' || form.stage === 'failed' || form.stage === 'loading') ? undefined : form };
    }
    case 'launch/focus': {
      if (!form?.draft) return state;
      const cursor = [...textOf(form.draft, action.field)].length;
      const next = withForm(state, { focus: action.field, cursor });
      return next.overlay?.kind === 'picker' ? { ...next, overlay: undefined } : next;
    }
    case 'launch/set': {
      if (!form?.draft) return state;
      const changed = Object.keys(action.patch) as FieldId[];
      return withForm(state, {
        draft: { ...form.draft, ...action.patch },
        reviewProblems: form.reviewProblems.filter((p) => !changed.includes(p.field)),
      });
    }
    case 'launch/edit': {
      if (!form?.draft || !isTextField(form, form.focus)) return state;
      const before = { text: textOf(form.draft, form.focus), cursor: form.cursor };
      const after = editorReduce(before, action.action, 1024);
      if (after === before) return state;
      return withForm(state, {
        draft: { ...form.draft, [form.focus]: after.text },
        cursor: after.cursor,
        reviewProblems: after.text === before.text ? form.reviewProblems : form.reviewProblems.filter((p) => p.field !== form.focus),
      });
    }
    case 'launch/vendor-ack':
      return withForm(state, { vendorAck: true });
    case 'launch/progress':
      return withForm(state, { progress: action.progress });
    case 'launch/reviewed':
      if (!form) return state;
      if (action.problems.length > 0 || !action.review) {
        const first = action.problems[0]?.field ?? form.focus;
        return withForm(state, {
          stage: 'form',
          progress: undefined,
          reviewProblems: action.problems,
          focus: first,
          cursor: form.draft ? [...textOf(form.draft, first)].length : 0,
        });
      }
      return withForm(state, { stage: 'review', review: action.review, progress: undefined, scroll: 0, reviewProblems: [] });
    case 'launch/back': {
      const next = withForm(state, { stage: 'form', review: undefined, progress: undefined });
      return next.overlay?.kind === 'recipe' ? { ...next, overlay: undefined } : next;
    }
    case 'launch/scroll':
      return form ? withForm(state, { scroll: clamp(form.scroll + action.delta, 0, Math.max(0, action.max)) }) : state;
    case 'launch/launching':
      return withForm(state, { stage: 'launching', progress: action.progress });
    case 'launch/done':
      return withForm(state, { stage: 'done', result: action.result, progress: undefined });
    case 'launch/launch-failed':
      // Back to the review: the journal keeps the launch, so launching again cannot start a second one.
      return withForm(state, { stage: 'review', error: action.message, progress: undefined });
    case 'launch/agent':
      return form?.result ? withForm(state, { result: { ...form.result, agentDone: action.message } }) : state;
    case 'launch/load-draft':
      return withForm(state, { draft: action.draft, reviewProblems: [], stage: 'form', review: undefined });
    default: {
      const never: never = action;
      return never;
    }
  }
}
