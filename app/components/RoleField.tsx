import { ROLES } from '../lib/types.ts';

/** The role picker of a create form: a select named "role" (server actions read it from the FormData). */
export function RoleField({ id }: { id: string }) {
  return (
    <div className="field" style={{ maxWidth: 160 }}>
      <label htmlFor={id}>Role</label>
      <select id={id} name="role" defaultValue="viewer">
        {ROLES.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
    </div>
  );
}
