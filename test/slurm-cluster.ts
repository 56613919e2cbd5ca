// A private single-node Slurm cluster on loopback for the tests (recipe: shared/notes/slurm.md).
// Daemons run as root in the foreground under setsid; stop() kills exactly the process groups it
// started, whatever happened in between.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Cluster {
  dir: string;
  env: NodeJS.ProcessEnv;
  partition: string;
  stop(): Promise<void>;
  log(): string;
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why a cluster cannot be started here, or undefined when it can (installing Slurm if root and apt allow). */
export function slurmUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'Slurm tests need Linux';
  const need = ['slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel'];
  if (need.every(has)) return undefined;
  if (process.getuid?.() !== 0) return `Slurm is not installed and this is not root: apt-get install slurmctld slurmd slurm-client to run these tests`;
  if (!has('apt-get')) return 'Slurm is not installed and there is no apt-get to install it';
  const apt = (args: string[]) => spawnSync('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8' });
  const install = ['install', '-y', '--no-install-recommends', 'slurmctld', 'slurmd', 'slurm-client'];
  let r = apt(install);
  if (r.status !== 0) {
    apt(['update', '-qq']); // a fresh machine may have no package lists yet
    r = apt(install);
  }
  if (r.status !== 0) return `apt-get install slurmctld slurmd slurm-client failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  return need.every(has) ? undefined : 'Slurm was installed but its commands are not on PATH';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-slurm-'));
  for (const d of ['state', 'spool', 'run', 'log', 'nocgroup']) mkdirSync(path.join(dir, d));
  const host = os.hostname().split('.')[0];
  const probe = spawnSync('slurmd', ['-C'], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.startsWith('NodeName='));
  if (!probe) throw new Error('slurmd -C printed no NodeName line');
  const nodeLine = probe.replace(/^NodeName=\S+/, `NodeName=${host} NodeAddr=127.0.0.1`);
  const [ctld, d] = [await freePort(), await freePort()];
  const conf = `ClusterName=ipcaetest
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
SlurmctldPort=${ctld}
SlurmdPort=${d}
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/run/slurmctld.pid
SlurmdPidFile=${dir}/run/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=${dir}/log/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerParameters=batch_sched_delay=0
KillWait=30
MinJobAge=300
${nodeLine}
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
`;
  writeFileSync(path.join(dir, 'slurm.conf'), conf);
  writeFileSync(path.join(dir, 'cgroup.conf'), `CgroupPlugin=cgroup/v1\nCgroupMountpoint=${dir}/nocgroup\n`);
  const env = { ...process.env, SLURM_CONF: path.join(dir, 'slurm.conf') };
  const started: ChildProcess[] = [];
  const daemon = (cmd: string, args: string[]) => {
    const p = spawn(cmd, args, { env, detached: true, stdio: 'ignore' });
    p.on('error', () => {});
    started.push(p);
  };
  const stop = async () => {
    // Jobs first: their slurmstepd processes are not in the daemons' process groups.
    if (started.length && spawnSync('scancel', ['--full', '--user', os.userInfo().username], { env }).status === 0) {
      const t0 = Date.now();
      while (Date.now() - t0 < 15_000) {
        const q = spawnSync('squeue', ['-h', '-o', '%i'], { env, encoding: 'utf8' });
        if (q.status !== 0 || q.stdout.trim() === '') break;
        await sleep(200);
      }
    }
    for (const p of started) if (p.pid && p.exitCode === null) try { process.kill(-p.pid, 'SIGTERM'); } catch {}
    const t0 = Date.now();
    while (started.some((p) => p.exitCode === null && p.signalCode === null) && Date.now() - t0 < 10_000) await sleep(100);
    for (const p of started) if (p.pid && p.exitCode === null && p.signalCode === null) try { process.kill(-p.pid, 'SIGKILL'); } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  const log = () =>
    ['slurmctld.log', 'slurmd.log'].map((f) => {
      const p = path.join(dir, 'log', f);
      return existsSync(p) ? `--- ${f}\n${readFileSync(p, 'utf8').split('\n').slice(-30).join('\n')}` : '';
    }).join('\n');
  try {
    daemon('slurmctld', ['-D', '-i', '-f', env.SLURM_CONF]);
    daemon('slurmd', ['-D', '-N', host, '-f', env.SLURM_CONF]);
    const t0 = Date.now();
    for (;;) {
      const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' });
      if (r.status === 0 && /idle/.test(r.stdout)) break;
      if (Date.now() - t0 > 30_000) throw new Error(`the test cluster did not come up in 30 s\n${log()}`);
      await sleep(250);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, env, partition: 'debug', stop, log };
}
