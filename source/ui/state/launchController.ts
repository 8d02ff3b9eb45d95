// The launch form's effects: loading what the form offers, the pickers, the launcher's review, the launch
// itself, recipes and the ssh-agent offer. Jobs (jobsController.ts) and interrupted launches
// (interruptedController.ts) have controllers of their own; the reducer decides, a controller dispatches and reads.
import { describeError, isStrataError, RefusedWithProblems } from '../../core/errors.js';
import { dedupeProblems } from '../../core/launch.js';
import { sanitize } from '../../core/sanitize.js';
import type { LaunchOutcome, LaunchProblem, LaunchRequest, Review } from '../../services/launcher.js';
import type { LaunchServices } from '../../services/launching.js';
import type { SafeWorkflowInput } from '../../services/jobs.js';
import type { JobsController } from './jobsController.js';
import type { Session } from '../../services/session.js';
import { sshClientCidr } from '../../core/network.js';
import { progressText } from '../../services/launch-words.js';
import { reviewSummary } from '../panes/launch/words.js';
import {
  describeProduct,
  draftToRequest,
  fieldOfPath,
  fieldsFor,
  formProblems,
  formWarnings,
  isBorrowed,
  newDraft,
  productsFor,
  requestToDraft,
  type DraftProblem,
  type FieldId,
  type FormContext,
  type KeypairMode,
} from '../panes/launch/draft.js';
import type { Action } from './reducer.js';
import { selectedImage } from './selectors.js';
import type { AppState, LaunchFormState, ReviewView } from './state.js';

export interface LaunchHost {
  readonly state: AppState;
  dispatch(action: Action): void;
  say(level: 'error' | 'warning' | 'info', message: string): void;
  session(): Session | undefined;
  log(level: 'info' | 'warn' | 'error', message: string, detail?: unknown): void;
  /** Servers were started: the monitor should look now rather than at its next slow poll. */
  launched(): void;
  /** The launch services of a session (one cache for every controller: loaded on first use). */
  services(session: Session): Promise<LaunchServices>;
  /** The launch services of the current session, where they are loaded already. */
  loadedServices(): LaunchServices | undefined;
  /** The safe-workflow jobs (started from the form on a template). */
  readonly jobs: JobsController;
}

/** One entry of a picker list. */
export interface PickerEntry {
  value: string;
  label: string;
}

/** A refused launch or job carries every problem (RefusedWithProblems, from core: no launcher import). */
function refusedProblems(error: unknown): LaunchProblem[] | undefined {
  return error instanceof RefusedWithProblems ? error.problems : undefined;
}

export class LaunchController {
  constructor(private readonly host: LaunchHost) {}

  private services(session: Session): Promise<LaunchServices> {
    return this.host.services(session);
  }

  private loaded(): LaunchServices | undefined {
    return this.host.loadedServices();
  }

  private get form(): LaunchFormState | undefined {
    return this.host.state.launch;
  }

  /** `l` on an image: the form opens at once and fills in as the provider's catalogue arrives. */
  async open(): Promise<void> {
    const image = selectedImage(this.host.state);
    const session = this.host.session();
    if (!image || !session) return;
    this.host.dispatch({ type: 'launch/open', imageId: image.id });
    // The reducer decides whether the draft is kept (the same image, not finished): only a new form loads.
    if (this.form?.stage !== 'loading' || this.form.imageId !== image.id) return;
    try {
      const services = await this.services(session);
      // Every call retried by the launcher with the session's policy (the status line says when it retries).
      const { products, firewalls, keypairs, known, keyDirectory, warnings } = await services.launcher.formOptions();
      for (const w of warnings) this.host.say('warning', w);
      const ctx: FormContext = {
        description: session.description,
        image,
        products,
        firewalls,
        keypairs,
        groups: known.groups.map((g) => g.name),
        billingCodes: known.billingCodes.map((c) => c.name),
        keyDirectory,
        clientCidr: sshClientCidr(process.env),
        lastChoice: this.lastChoice(services, session),
        workflowImageName: services.jobs.defaultImageName(image.shownName ?? image.name),
      };
      if (this.form?.imageId !== image.id || this.form.stage !== 'loading') return;
      this.host.dispatch({ type: 'launch/ready', ctx, draft: newDraft(ctx) });
    } catch (error) {
      this.host.dispatch({ type: 'launch/failed', message: describeError(error, 'Loading the launch form') });
    }
  }

  close(): void {
    this.host.dispatch({ type: 'launch/close' });
  }

  /** The firewalls and keypair of the newest recipe saved for this provider and region, if any. */
  private lastChoice(services: LaunchServices, session: Session): FormContext['lastChoice'] {
    try {
      const newest = services.recipes
        .list()
        .flatMap((r) => (r.recipe && r.recipe.provider === session.providerId && r.recipe.region === session.region ? [r.recipe] : []))
        .sort((a, b) => (b.savedAt ?? '').localeCompare(a.savedAt ?? ''))[0];
      if (!newest) return undefined;
      const kp = newest.request.keypair;
      return { firewallIds: newest.request.firewallIds, keypair: kp.mode === 'none' ? { mode: 'none', name: '' } : { mode: kp.mode, name: kp.name } };
    } catch {
      return undefined;
    }
  }

  fields() {
    const form = this.form;
    if (!form?.draft || !form.ctx) return [];
    return fieldsFor(form.draft, form.ctx.description, isBorrowed(form.ctx.image));
  }

  moveFocus(delta: number): void {
    const form = this.form;
    const fields = this.fields().filter((f) => f.kind !== 'readonly');
    if (!form || fields.length === 0) return;
    const at = Math.max(0, fields.findIndex((f) => f.id === form.focus));
    const next = fields[(at + delta + fields.length) % fields.length];
    this.host.dispatch({ type: 'launch/focus', field: next.id });
  }

  /** Space, ←/→ on a toggle or a choice. */
  cycle(delta: number): void {
    const form = this.form;
    const field = this.fields().find((f) => f.id === form?.focus);
    if (!form?.draft || !field) return;
    if (field.kind === 'toggle') {
      const key = field.id as 'newFirewall' | 'volumes' | 'encrypt' | 'useTemplate';
      this.host.dispatch({ type: 'launch/set', patch: { [key]: !form.draft[key] } });
    } else if (field.kind === 'choice' && field.choices?.length) {
      const key = field.id as 'keypairMode' | 'raid' | 'filesystem' | 'workflowLabel';
      const at = field.choices.indexOf(form.draft[key]);
      const value = field.choices[(at + delta + field.choices.length) % field.choices.length];
      if (key === 'keypairMode') {
        // An existing keypair's name is not a name for a new one, and the other way round.
        const keypairName = value === 'existing' ? (form.ctx?.keypairs[0]?.name ?? '') : '';
        this.host.dispatch({ type: 'launch/set', patch: { keypairMode: value as KeypairMode, keypairName } });
      } else {
        this.host.dispatch({ type: 'launch/set', patch: { [key]: value } as never });
      }
    }
  }

  /** Enter on a field: pick from a list, switch a toggle, review on the last line, or go to the next field. */
  activate(): void {
    const form = this.form;
    const field = this.fields().find((f) => f.id === form?.focus);
    if (!form || !field) return;
    if (field.kind === 'pick' || field.kind === 'multipick' || field.id === 'group' || field.id === 'billingCode') {
      const entries = this.pickerEntries(field.id);
      if (entries.length === 0) {
        if (field.kind === 'pick' || field.kind === 'multipick') this.host.say('info', `Nothing to pick for ${field.label.trim().toLowerCase()} here.`);
        else this.moveFocus(1);
        return;
      }
      const current = this.currentValue(field.id);
      this.openPicker(field.id, Math.max(0, entries.findIndex((e) => e.value === current)));
    } else if (field.kind === 'toggle' || field.kind === 'choice') this.cycle(1);
    else if (field.kind === 'button') void this.review();
    else this.moveFocus(1);
  }

  private openPicker(field: FieldId | 'recipe', index: number): void {
    this.host.dispatch({ type: 'overlay/open', overlay: { kind: 'picker', field, index, filter: { text: '', cursor: 0 } } });
  }

  /** The picker, when it is open. */
  private get picker() {
    const o = this.host.state.overlay;
    return o?.kind === 'picker' ? o : undefined;
  }

  private currentValue(field: FieldId): string {
    const draft = this.form?.draft;
    if (!draft) return '';
    const value = (draft as unknown as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : '';
  }

  pickerEntries(field: FieldId | 'recipe'): PickerEntry[] {
    const form = this.form;
    const ctx = form?.ctx;
    if (!ctx) return [];
    switch (field) {
      case 'productId':
        return productsFor(ctx).map((p) => ({ value: p.id, label: sanitize(describeProduct(p)) }));
      case 'firewallIds':
        return ctx.firewalls.map((f) => ({ value: f.id, label: sanitize(`${f.name}  (${f.id}, ${f.rules.length} rule${f.rules.length === 1 ? '' : 's'})`) }));
      case 'keypairName':
        return ctx.keypairs.map((k) => ({ value: k.name, label: sanitize(`${k.name}  ${k.fingerprint}`) }));
      case 'group':
        return ctx.groups.map((g) => ({ value: g, label: sanitize(g) }));
      case 'billingCode':
        return ctx.billingCodes.map((c) => ({ value: c, label: sanitize(c) }));
      case 'recipe': {
        try {
          return (this.loaded()?.recipes.list() ?? []).map((r) => ({ value: r.name, label: sanitize(`${r.name}${r.problem ? `  (unreadable: ${r.problem})` : ''}`) }));
        } catch (error) {
          this.host.say('error', describeError(error, 'Listing recipes'));
          return [];
        }
      }
      default:
        return [];
    }
  }

  /** The picker's entries after its filter. */
  visibleEntries(): PickerEntry[] {
    const picker = this.picker;
    if (!picker) return [];
    const words = picker.filter.text.toLowerCase().split(/\s+/).filter(Boolean);
    return this.pickerEntries(picker.field).filter((e) => words.every((w) => e.label.toLowerCase().includes(w)));
  }

  pickerToggle(): void {
    const form = this.form;
    const picker = this.picker;
    if (!form?.draft || picker?.field !== 'firewallIds') return;
    const entry = this.visibleEntries()[picker.index];
    if (!entry) return;
    const ids = form.draft.firewallIds.includes(entry.value) ? form.draft.firewallIds.filter((id) => id !== entry.value) : [...form.draft.firewallIds, entry.value];
    this.host.dispatch({ type: 'launch/set', patch: { firewallIds: ids } });
    this.host.dispatch({ type: 'overlay/open', overlay: { ...picker, toggled: true } });
  }

  pickerChoose(): void {
    const form = this.form;
    const picker = this.picker;
    if (!form?.draft || !picker) return;
    const entry = this.visibleEntries()[picker.index];
    if (picker.field === 'recipe') {
      this.host.dispatch({ type: 'overlay/close', kind: 'picker' });
      if (entry) this.openRecipe(entry.value);
      return;
    }
    if (picker.field === 'firewallIds') {
      // Enter closes the list as ticked. Only where Space was never used here does it tick the highlighted
      // entry (a quick pick of one): what Space unticked stays unticked.
      if (entry && !picker.toggled && !form.draft.firewallIds.includes(entry.value)) this.pickerToggle();
    } else if (entry) {
      this.host.dispatch({ type: 'launch/set', patch: { [picker.field]: entry.value } as never });
    }
    this.host.dispatch({ type: 'overlay/close', kind: 'picker' });
    this.moveFocus(1);
  }

  openRecipePicker(): void {
    if (this.pickerEntries('recipe').length === 0) {
      this.host.say('info', `No launch recipes yet: review a launch and press s to save one (${this.loaded()?.recipes.directory ?? ''}).`);
      return;
    }
    this.openPicker('recipe', 0);
  }

  private openRecipe(name: string): void {
    const recipes = this.loaded()?.recipes;
    const form = this.form;
    if (!recipes || !form?.draft) return;
    try {
      const recipe = recipes.load(name);
      // The form stays on its image; everything else comes from the recipe.
      const draft = requestToDraft({ ...recipe.request, imageId: form.draft.imageId }, form.draft);
      this.host.dispatch({ type: 'launch/load-draft', draft });
      const other = recipe.request.imageId !== form.draft.imageId ? ` (it was saved for image ${sanitize(recipe.request.imageId)}; this form keeps its own image)` : '';
      this.host.say('info', `Opened recipe "${name}"${other}.`);
    } catch (error) {
      this.host.say('error', describeError(error, `Opening recipe "${name}"`));
    }
  }

  /** What stops the review, field by field: the form's own problems, then the launcher's from the last review. */
  problems(): DraftProblem[] {
    const form = this.form;
    if (!form?.draft || !form.ctx) return [];
    const inline = formProblems(form.draft, form.ctx);
    const seen = new Set(inline.map((p) => `${p.field}\u0000${p.message}`));
    return inline.concat(form.reviewProblems.filter((p) => !seen.has(`${p.field}\u0000${p.message}`)));
  }

  /** What deserves a word at its field without stopping anything (SSH open to the world). */
  warnings(): DraftProblem[] {
    const form = this.form;
    return form?.draft && form.ctx ? formWarnings(form.draft, form.ctx) : [];
  }

  /** The safe workflow's input, where the form is on a vendor template with the workflow turned on. */
  private workflowInput(request: LaunchRequest): SafeWorkflowInput | undefined {
    const form = this.form;
    if (!form?.draft?.workflow || !(form.ctx && isBorrowed(form.ctx.image))) return undefined;
    return {
      templateImageId: form.ctx.image.id,
      builder: { ...request, count: 1 },
      imageName: form.draft.workflowImageName,
      ...(form.draft.workflowLabel !== 'none' ? { label: form.draft.workflowLabel } : {}),
      terminateBuilder: form.draft.workflowTerminate,
    };
  }

  private request(): LaunchRequest | undefined {
    const form = this.form;
    if (!form?.draft || !form.ctx) return undefined;
    return draftToRequest(form.draft, form.ctx.description, isBorrowed(form.ctx.image)).request;
  }

  /** Ctrl+R or Enter on the last line: every problem at once, or the review screen. Nothing is sent. */
  async review(): Promise<void> {
    const form = this.form;
    const session = this.host.session();
    const request = this.request();
    if (!form || !session || !request) return;
    const inline = this.problems();
    if (inline.length > 0) {
      this.host.dispatch({ type: 'launch/reviewed', problems: form.reviewProblems.length ? form.reviewProblems : [], review: undefined });
      this.host.dispatch({ type: 'launch/focus', field: inline[0].field });
      this.host.say('error', `${inline.length} field${inline.length === 1 ? ' needs' : 's need'} fixing before the review: ${inline[0].message}`);
      return;
    }
    this.host.dispatch({ type: 'launch/progress', progress: 'reviewing…' });
    try {
      const services = await this.services(session);
      const workflow = this.workflowInput(request);
      const review = await services.launcher.review(workflow ? workflow.builder : request);
      const found = workflow ? [...(await services.jobs.problems(workflow)), ...review.problems] : review.problems;
      // The job and the launcher may report one problem each under their own path: once per form field.
      const problems = dedupeProblems(found.map((p) => ({ field: fieldOfPath(p.field), message: p.message })));
      if (problems.length > 0) {
        this.host.dispatch({ type: 'launch/reviewed', problems });
        this.host.say('error', `${problems.length === 1 ? 'One thing needs' : `${problems.length} things need`} fixing: ${problems[0].message}`);
        return;
      }
      const view = this.reviewView(review, services);
      if (workflow) {
        view.workflow = true;
        view.summary.unshift(
          `The safe workflow, as one job that survives a restart: launch the builder below from the template, wait until it is ready, capture your own image "${sanitize(workflow.imageName)}" from it, then ${workflow.terminateBuilder ? 'terminate the builder' : 'keep the builder running'}.`,
        );
      }
      this.host.dispatch({ type: 'launch/reviewed', problems: [], review: view });
    } catch (error) {
      this.host.dispatch({ type: 'launch/progress', progress: undefined });
      this.host.say('error', describeError(error, 'Reviewing the launch'));
    }
  }

  private reviewView(review: Review, services: LaunchServices): ReviewView {
    const check = review.preview?.check;
    return {
      // The image as the user knows it (a local name, a Name tag), not only the provider's name.
      summary: reviewSummary(this.form?.ctx && review.facts.image ? { ...review.facts, image: { ...review.facts.image, displayName: this.form.ctx.image.shownName ?? review.facts.image.displayName } } : review.facts)
        .map((line) => sanitize(line, 300))
        .concat(review.warnings.map((w) => `! ${sanitize(w, 300)}`))
        .concat(check ? [`${check.allowed ? '' : '! '}${sanitize(check.sentence, 300)}`] : []),
      request: JSON.stringify(review.preview?.request ?? review.spec, null, 2),
      cloudInit: review.userData ?? review.cloudInit,
      cli: review.preview?.cli,
      clientToken: review.clientToken,
      quota: review.quota ? sanitize(services.describeQuota(review.quota), 400) : undefined,
    };
  }

  /** L on the review: the launch, exactly once (the token was written to the journal before the request). */
  async launch(): Promise<void> {
    const form = this.form;
    const session = this.host.session();
    const request = this.request();
    if (!form?.review || !session || !request || form.stage === 'launching') return;
    const clientToken = form.review.clientToken;
    const workflow = form.review.workflow ? this.workflowInput(request) : undefined;
    if (workflow) return this.startWorkflow(session, workflow);
    this.host.dispatch({ type: 'launch/launching', progress: 'launching…' });
    try {
      const services = await this.services(session);
      const outcome = await services.launcher.launch(request, {
        clientToken,
        onProgress: (p) => this.host.dispatch({ type: 'launch/launching', progress: sanitize(progressText(p), 300) }),
      });
      this.host.dispatch({ type: 'launch/done', result: this.resultView(outcome) });
      this.host.launched();
      this.host.log('info', 'launched', { clientToken, servers: outcome.servers.map((s) => s.id) });
    } catch (error) {
      const refused = refusedProblems(error);
      if (refused) {
        const problems = refused.map((p) => ({ field: fieldOfPath(p.field), message: p.message }));
        this.host.dispatch({ type: 'launch/reviewed', problems });
        this.host.say('error', describeError(error));
        return;
      }
      const message = describeError(error, 'The launch');
      this.host.log('error', message, error);
      const retryable = !isStrataError(error) || error.kind === 'Throttled' || error.kind === 'Transient';
      this.host.dispatch({
        type: 'launch/launch-failed',
        message: `${message}${retryable ? ' Press L to try again: the same token is used, so no second server can start.' : ''}`,
      });
    }
  }

  private async startWorkflow(session: Session, input: SafeWorkflowInput): Promise<void> {
    this.host.dispatch({ type: 'launch/launching', progress: 'starting the safe workflow…' });
    try {
      const job = await this.host.jobs.start(session, input);
      this.host.dispatch({
        type: 'launch/done',
        result: {
          title: 'Started',
          lines: [
            `Started the safe workflow (job ${job.id}).`,
            `It launches the builder, waits until it is ready, captures "${sanitize(input.imageName)}", labels it${input.terminateBuilder ? ' and terminates the builder' : ''}.`,
            'Follow it in the monitor (Tab). Quit or lose the session meanwhile: it goes on from where it was at the next start.',
          ],
          agentAvailable: false,
        },
      });
    } catch (error) {
      const refused = refusedProblems(error);
      if (refused) {
        this.host.dispatch({ type: 'launch/reviewed', problems: refused.map((p) => ({ field: fieldOfPath(p.field), message: p.message })) });
        this.host.say('error', describeError(error));
        return;
      }
      this.host.dispatch({ type: 'launch/launch-failed', message: describeError(error, 'Starting the safe workflow') });
    }
  }

  private resultView(outcome: LaunchOutcome) {
    const lines: string[] = [];
    const n = outcome.servers.length;
    const how: Record<typeof outcome.how, string> = {
      launched: 'Launched',
      completed: 'Completed an interrupted launch; now',
      adopted: 'Adopted (an earlier attempt had reached the provider; nothing was sent again)',
      found: 'Found (this launch was done already)',
    };
    lines.push(`${how[outcome.how]}: ${n} server${n === 1 ? '' : 's'} (token ${outcome.clientToken}):`);
    for (const s of outcome.servers) lines.push(`  ${sanitize(s.id)}  ${sanitize(s.name)}  ${s.phase}${s.privateAddress ? `  ${sanitize(s.privateAddress)}` : ''}`);
    if (outcome.keyFile) {
      lines.push(`Private key: ${sanitize(outcome.keyFile.path)} (mode 0600, ${outcome.keyFile.how === 'created' ? 'created by the provider' : 'generated here, public half imported'})`);
      lines.push(`Fingerprint: ${sanitize(outcome.keyFile.fingerprint)}`);
    }
    if (outcome.passphrase) {
      const k = outcome.passphrase.accounts.length;
      lines.push(`Volume passphrase${k === 1 ? '' : 's'}: ${k > 1 ? `one per server (${k}), ` : ''}kept in ${sanitize(outcome.passphrase.describe, 300)}`);
    }
    for (const r of outcome.refused ?? []) lines.push(`! ${sanitize(r.name)} was not launched: ${sanitize(r.reason, 300)}`);
    for (const w of outcome.warnings) lines.push(`! ${sanitize(w, 300)}`);
    return { lines, keyFile: outcome.keyFile?.path, agentAvailable: outcome.agent?.available ?? false, serverIds: outcome.servers.map((s) => s.id) };
  }

  async addKeyToAgent(): Promise<void> {
    const result = this.form?.result;
    const session = this.host.session();
    if (!result?.keyFile || !session || !result.agentAvailable || result.agentDone) return;
    const outcome = await (await this.services(session)).launcher.addKeyToAgent(result.keyFile);
    this.host.dispatch({ type: 'launch/agent', message: outcome.added ? 'Added to ssh-agent.' : `Not added to ssh-agent: ${outcome.reason}` });
  }

  saveRecipe(): void {
    const form = this.form;
    const session = this.host.session();
    const request = this.request();
    const recipes = this.loaded()?.recipes;
    const prompt = this.host.state.overlay?.kind === 'recipe' ? this.host.state.overlay : undefined;
    if (!form || !prompt || !session || !request || !recipes) return;
    const name = prompt.editor.text.trim();
    try {
      const recipe = recipes.save(name, request, { provider: session.providerId, region: session.region });
      this.host.dispatch({ type: 'overlay/close', kind: 'recipe' });
      this.host.say('info', `Saved the form as recipe "${name}" (${sanitize(recipe.path)}); Ctrl+O in the form opens it.`);
    } catch (error) {
      this.host.dispatch({ type: 'overlay/error', kind: 'recipe', message: describeError(error) });
    }
  }


}

