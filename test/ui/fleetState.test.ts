// The fleet view's reducer: while the sources load, rows arrive above the selection and the list stays at
// its top; once the user has moved, the selection follows its row as the list changes.
import { describe, expect, it } from 'vitest';
import type { FleetRow, FleetSnapshot } from '../../source/services/fleet.js';
import { fleetReducer, selectedFleetRow } from '../../source/ui/state/fleetState.js';
import { initialState } from '../../source/ui/state/state.js';

const row = (id: string): FleetRow => ({ key: id, kind: 'server', source: 'a', region: 'r', where: 'a/r', id, name: id, state: 'ready', search: id });
const snap = (ids: string[]): FleetSnapshot => ({ sources: [], rows: ids.map(row), places: [], copies: [], generation: 1, complete: false });

describe('the fleet view as its rows change', () => {
  it('stays at the top while rows arrive above, until the user moves', () => {
    let s = fleetReducer(initialState({ providerId: 'sandbox', region: 'r' }), { type: 'fleet/open' });
    s = fleetReducer(s, { type: 'fleet/snapshot', snapshot: snap(['s1', 's2']) });
    expect(selectedFleetRow(s)!.id).toBe('s1');
    s = fleetReducer(s, { type: 'fleet/snapshot', snapshot: snap(['i1', 'i2', 's1', 's2']) });
    expect(selectedFleetRow(s)!.id).toBe('i1');
    s = fleetReducer(s, { type: 'fleet/move', delta: 2 });
    expect(selectedFleetRow(s)!.id).toBe('s1');
    s = fleetReducer(s, { type: 'fleet/snapshot', snapshot: snap(['i0', 'i1', 'i2', 's1', 's2']) });
    expect(selectedFleetRow(s)!.id).toBe('s1');
    s = fleetReducer(s, { type: 'fleet/snapshot', snapshot: snap(['i0', 'i1']) });
    expect(selectedFleetRow(s)!.id).toBe('i1');
  });
});
