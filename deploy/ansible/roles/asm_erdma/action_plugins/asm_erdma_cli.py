# asm_erdma_cli: runs one asm-erdma command on the node (through ansible.builtin.command, so the node needs only
# what the core modules need: Python 3.6 on Alibaba Cloud Linux 3 is fine) and turns its --json report into the
# task's result on the control node: changed from what asm-erdma says it changed, failed with asm-erdma's own
# one-line error, and the parsed report as `json`. One task per command, no separate parse/fail tasks.
import json

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

# kind -> exit codes that are answers rather than failures
_OK_RC = {
    'kernel-check': (0, 10, 15),  # 10 too old, 15 reboot pending: facts, the gate reports them
    'kernel-after': (0,),  # after the reboot the kernel must meet the minimum
    'hotfix': (0,),
    'kernel-upgrade': (0,),
    'setup': (0,),
    'install-service': (0,),
    'status': (0, 14),  # 14 = not ready: the checks say why
}


def parse_report(stdout):
    try:
        doc = json.loads(stdout or '')
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def error_line(what, rc, doc, stderr, msg):
    """asm-erdma's one-line error: its JSON error (message + hint), else its last `error:` line on stderr."""
    err = doc.get('error')
    if isinstance(err, dict) and err.get('message'):
        text = err['message'] + (' (%s)' % err['hint'] if err.get('hint') else '')
    else:
        lines = [line.strip() for line in (stderr or '').splitlines() if line.strip()]
        errors = [line[len('error:'):].strip() for line in lines if line.startswith('error:')]
        text = errors[-1] if errors else (lines[-1] if lines else (msg or 'no output'))
    return 'asm-erdma %s failed (exit %s): %s' % (what, rc, text)


# Check mode: the fixes the role's own tasks apply in a real run (setup always; the others when enabled).
_ROLE_FIXES = (('asm-erdma setup', None), ('asm-erdma install-service', 'asm_erdma_service'),
               ('asm-erdma hotfix', 'asm_erdma_hotfix'))
# Check mode: the commands that change the node run with --dry-run instead of not at all.
_DRY_RUN_KINDS = ('setup', 'install-service', 'hotfix')


def not_ready(doc, ignore, strict, role_fixes=()):
    """Checks that keep the node from being ready: "fail" (or anything but "ok" for strict ids), minus ignored.
    In check mode nothing was changed, so a check whose fix the run itself applies (role_fixes) is left out."""
    out = []
    for c in doc.get('checks') or []:
        if not isinstance(c, dict) or c.get('id') in ignore:
            continue
        if role_fixes and str(c.get('fix') or '').startswith(tuple(role_fixes)):
            continue
        if c.get('state') == 'fail' or (c.get('id') in strict and c.get('state') != 'ok'):
            fix = '; fix: %s' % c['fix'] if c.get('fix') else ''
            out.append('%s (%s%s)' % (c.get('id'), c.get('detail', ''), fix))
    return out


def planned(kind, doc):
    """What a --dry-run report says would be done, one line each (the task's diff in check mode)."""
    if kind == 'setup':
        return ['%s: %s' % (n.get('name'), a) for n in doc.get('nics') or [] if isinstance(n, dict)
                for a in n.get('actions') or []]
    if kind == 'install-service':
        return [str(c) for c in doc.get('changes') or []]
    return [str(c) for c in doc.get('commands') or []]


def changed(kind, doc):
    if kind == 'setup':
        return any(isinstance(n, dict) and n.get('result') in ('changed', 'planned') for n in doc.get('nics') or [])
    if kind == 'install-service':
        return doc.get('unitFile') in ('created', 'updated') or len(doc.get('changes') or []) > 0
    if kind in ('hotfix', 'kernel-upgrade'):
        return bool(doc.get('installed')) or bool(doc.get('dryRun') and doc.get('commands'))
    return False


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('argv', 'kind', 'gate_ignore', 'gate_strict'))

    def _enabled(self, var, task_vars):
        """A boolean role variable as the role's own `| bool` reads it."""
        return boolean(self._templar.template((task_vars or {}).get(var, True)), strict=False)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        argv = [str(a) for a in self._task.args.get('argv') or []]
        kind = self._task.args.get('kind')
        if not argv or kind not in _OK_RC:
            result.update(failed=True, msg='asm_erdma_cli needs argv and a kind in %s' % ', '.join(sorted(_OK_RC)))
            return result
        what = ' '.join(argv[1:3]) if kind.startswith('kernel') else argv[1]
        check_mode = bool((task_vars or {}).get('ansible_check_mode'))
        dry_run = check_mode and kind in _DRY_RUN_KINDS
        if dry_run:
            # The dry run changes nothing, so it runs for real in check mode: its plan is what would change.
            argv = argv + ['--dry-run']
            self._task.check_mode = False
        try:
            res = self._execute_module(module_name='ansible.builtin.command', module_args={'argv': argv},
                                       task_vars=task_vars)
        finally:
            if dry_run:
                self._task.check_mode = True
        if res.get('skipped'):  # check mode: the command module does not run commands
            result.update(skipped=True, msg=res.get('msg', 'skipped in check mode'), json={})
            return result
        if check_mode and res.get('rc') != 0 and 'No such file or directory' in str(res.get('msg', '')):
            # A fresh node in check mode: the install task did not really put asm-erdma there.
            result.update(changed=kind in ('setup', 'install-service'), failed=False, json={},
                          msg='check mode: %s is not installed yet (a real run installs it first); %s not run'
                          % (argv[0], what))
            if self._task.diff and result['changed']:
                result['diff'] = {'prepared': result['msg'] + '\n'}
            return result
        rc = res.get('rc')
        doc = parse_report(res.get('stdout', ''))
        # A failure shows only what matters: asm-erdma's one-line error (the report stays out of the way).
        # failed=False: the TaskExecutor takes a non-zero rc as failed unless told; 10, 14, 15 are answers here
        result.update(cmd=argv, rc=rc, changed=changed(kind, doc), failed=False)
        if rc not in _OK_RC[kind]:
            result.update(failed=True, msg=error_line(what, rc, doc, res.get('stderr'), res.get('msg')))
            if kind == 'kernel-after' and rc in (10, 15):
                result['msg'] = ('after the reboot the running kernel is %s, below %s (check the default boot entry: '
                                 'grubby --default-kernel)' % (doc.get('running'), doc.get('minimum')))
            return result
        result.update(json=doc, stdout=res.get('stdout', ''), stderr=res.get('stderr', ''))
        if dry_run and self._task.diff and result['changed']:
            result['diff'] = {'prepared': '\n'.join(planned(kind, doc)) + '\n'}
        if kind == 'status':
            role_fixes = [fix for fix, enabled_by in _ROLE_FIXES
                           if check_mode and (enabled_by is None or self._enabled(enabled_by, task_vars))]
            failing = not_ready(doc, self._task.args.get('gate_ignore') or [], self._task.args.get('gate_strict') or [],
                                role_fixes)
            result['not_ready'] = failing
            if failing:
                for k in ('json', 'stdout', 'stderr'):
                    result.pop(k, None)
                result.update(failed=True, msg='not ready for SMC over eRDMA: %s' % ', '.join(failing))
        return result
