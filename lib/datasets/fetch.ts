// ipcae data fetch <name>: downloads a paper dataset from its public source into the data directory.
// Transfers go to <file>.part and resume from there (HTTP Range); a file gets its final name only
// after its size and SHA-256 check out (where they are known), so no partial file ever looks done.
// Archives are unpacked (UCI's zips, HAR's zip inside a zip); ISOLET's .Z members are kept as they
// are (the reader decompresses them). The base URL can point at a mirror: --base-url / IPCAE_DATA_URL.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { unzipSync } from 'fflate';
import { IpcaeError } from '../errors.js';
import { writeAtomic } from '../files/atomic.js';

export interface RemoteFile {
  url: string;
  /** Where it is saved, relative to <dataDir>/<dataset>/. */
  save: string;
  size?: number;
  sha256?: string;
  /** Members to take out of a zip: archive path → path relative to <dataDir>/<dataset>/ ("*" → keep names). */
  extract?: { match: RegExp; to: (member: string) => string; nested?: { match: RegExp; to: (member: string) => string } }[];
}

const UCI = 'https://archive.ics.uci.edu/static/public';
const mnistFiles = (base: string, sums: [string, number, string][]) => sums.map(([name, size, sha256]) => ({ url: `${base}${name}`, save: name, size, sha256 }));

/** The public sources. Checksums are those of the original files as published; UCI's zips are not pinned. */
export const SOURCES: Record<string, RemoteFile[]> = {
  mnist: mnistFiles('https://ossci-datasets.s3.amazonaws.com/mnist/', [
    ['train-images-idx3-ubyte.gz', 9912422, '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609'],
    ['train-labels-idx1-ubyte.gz', 28881, '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c'],
    ['t10k-images-idx3-ubyte.gz', 1648877, '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6'],
    ['t10k-labels-idx1-ubyte.gz', 4542, 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6'],
  ]),
  'fashion-mnist': mnistFiles('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/', [
    ['train-images-idx3-ubyte.gz', 26421880, '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84'],
    ['train-labels-idx1-ubyte.gz', 29515, 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845'],
    ['t10k-images-idx3-ubyte.gz', 4422102, '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073'],
    ['t10k-labels-idx1-ubyte.gz', 5148, '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5'],
  ]),
  coil20: [
    {
      url: 'https://jundongl.github.io/scikit-feature/files/datasets/COIL20.mat',
      save: 'COIL20.mat',
      size: 3024549,
      sha256: '4595ebdda07f47b0eb014fcfaddc22b452f9aed9c1d9261a0d5bc336c1ee1344',
    },
  ],
  mice: [
    {
      url: `${UCI}/342/mice+protein+expression.zip`,
      save: 'mice+protein+expression.zip',
      extract: [{ match: /(^|\/)Data_Cortex_Nuclear\.xls$/, to: () => 'Data_Cortex_Nuclear.xls' }],
    },
  ],
  isolet: [
    {
      url: `${UCI}/54/isolet.zip`,
      save: 'isolet.zip',
      extract: [{ match: /(^|\/)isolet(1\+2\+3\+4|5)\.data(\.Z)?$/, to: (m) => path.posix.basename(m) }],
    },
  ],
  // The official code's NIPS 2003 and breast-cancer sets (member names as its loaders expect them;
  // not pinned, not fetched from here yet: a missing member is an error that lists what the zip holds).
  // GENE's zip holds a .tar.gz and BREAST's files live in the official repository: fetched by hand.
  arcene: [
    {
      url: `${UCI}/167/arcene.zip`,
      save: 'arcene.zip',
      extract: [{ match: /(^|\/)arcene_(train|valid)\.(data|labels)$/, to: (m) => path.posix.basename(m) }],
    },
  ],
  dexter: [
    {
      url: `${UCI}/168/dexter.zip`,
      save: 'dexter.zip',
      extract: [{ match: /(^|\/)dexter_(train|valid)\.(data|labels)$/, to: (m) => path.posix.basename(m) }],
    },
  ],
  cancer: [
    {
      url: `${UCI}/17/breast+cancer+wisconsin+diagnostic.zip`,
      save: 'breast+cancer+wisconsin+diagnostic.zip',
      extract: [{ match: /(^|\/)wdbc\.data$/, to: () => 'wdbc.data' }],
    },
  ],
  har: [
    {
      url: `${UCI}/240/human+activity+recognition+using+smartphones.zip`,
      save: 'human+activity+recognition+using+smartphones.zip',
      extract: [
        {
          match: /^UCI HAR Dataset\.zip$/,
          to: (m) => m,
          nested: {
            match: /^UCI HAR Dataset\/(features\.txt|activity_labels\.txt|features_info\.txt|README\.txt|(train|test)\/(X|y|subject)_(train|test)\.txt)$/,
            to: (m) => m,
          },
        },
      ],
    },
  ],
};

/** The URL to download from: the public one, or the same path under a mirror's base URL. */
export function sourceUrl(url: string, base?: string): string {
  if (!base) return url;
  const u = new URL(url);
  return base.replace(/\/+$/, '') + u.pathname;
}

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

export interface DownloadReport {
  file: string;
  url: string;
  bytes: number;
  resumedFrom: number;
  sha256: string;
  verified: boolean;
  skipped: boolean;
}

const retryable = (e: unknown) => e instanceof IpcaeError && e.retryable === true;

/**
 * Downloads url to dest through dest.part, resuming a previous partial transfer; a transfer cut by
 * the network is resumed up to `attempts` times in all before giving up (the part file is kept).
 */
export async function download(
  url: string,
  dest: string,
  expect: { size?: number; sha256?: string } = {},
  log: (s: string) => void = () => {},
  attempts = 3,
): Promise<DownloadReport> {
  let firstResume: number | undefined;
  for (let i = 1; ; i++) {
    try {
      const r = await downloadOnce(url, dest, expect, log);
      return { ...r, resumedFrom: firstResume ?? r.resumedFrom };
    } catch (e) {
      if (!retryable(e) || i >= attempts) throw e;
      const part = `${dest}.part`;
      const kept = existsSync(part) ? statSync(part).size : 0;
      if (firstResume === undefined && kept > 0) firstResume = kept;
      log(`${(e as Error).message.split(';')[0]}; retrying (${i + 1} of ${attempts})`);
      await new Promise((r) => setTimeout(r, 200 * i));
    }
  }
}

function transient(message: string): IpcaeError {
  const e = new IpcaeError('ERR_DATA', message);
  e.retryable = true;
  return e;
}

async function downloadOnce(url: string, dest: string, expect: { size?: number; sha256?: string }, log: (s: string) => void): Promise<DownloadReport> {
  mkdirSync(path.dirname(dest), { recursive: true });
  if (existsSync(dest)) {
    const sha = await sha256Of(dest);
    if (!expect.sha256 || sha === expect.sha256) return { file: dest, url, bytes: statSync(dest).size, resumedFrom: 0, sha256: sha, verified: Boolean(expect.sha256), skipped: true };
    log(`${dest}: checksum differs from the expected one; downloading again`);
    rmSync(dest);
  }
  const part = `${dest}.part`;
  let have = existsSync(part) ? statSync(part).size : 0;
  if (expect.size !== undefined && have > expect.size) {
    rmSync(part);
    have = 0;
  }
  let res: Response;
  try {
    res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    const err = new IpcaeError('ERR_DATA', `Cannot download ${url}: ${cause ?? (e as Error).message}${have ? ` (${have} bytes kept in ${part}; run again to resume)` : ''}`);
    err.retryable = /ECONNRESET|EPIPE|ETIMEDOUT|socket|terminated|other side closed/i.test(err.message);
    throw err;
  }
  let resumedFrom = 0;
  if (res.status === 416 && have > 0) {
    resumedFrom = have; // the part file already holds everything
    await res.body?.cancel();
  } else if (res.status === 206 && have > 0) {
    const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
    if (!start || Number(start[1]) !== have) {
      await res.body?.cancel();
      rmSync(part);
      throw transient(`${url}: the server resumed at ${start?.[1] ?? 'an unknown offset'} instead of byte ${have}; starting over`);
    }
    resumedFrom = have;
  } else if (res.status === 200) {
    have = 0;
  } else {
    await res.body?.cancel();
    throw new IpcaeError('ERR_DATA', `Cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  }
  if (res.status !== 416) {
    const total = res.headers.get('content-length');
    if (resumedFrom) log(`resuming ${path.basename(dest)} at byte ${resumedFrom}`);
    const out = createWriteStream(part, { flags: resumedFrom ? 'a' : 'w' });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), out);
    } catch (e) {
      // The stream may still be finishing a write: measure the part file only once it is closed.
      if (!out.closed) await new Promise<void>((r) => out.once('close', () => r()));
      const kept = existsSync(part) ? statSync(part).size : 0;
      throw transient(`Download of ${url} was interrupted after ${kept} bytes (${(e as Error).message}); ${part} is kept: run the same command again to resume`);
    }
    const got = statSync(part).size;
    if (total !== null && got !== resumedFrom + Number(total))
      throw transient(`Download of ${url} ended early: ${got} of ${resumedFrom + Number(total)} bytes; ${part} is kept: run the same command again to resume`);
  }
  const size = statSync(part).size;
  if (expect.size !== undefined && size !== expect.size) {
    rmSync(part);
    throw new IpcaeError('ERR_DATA', `${url}: expected ${expect.size} bytes but received ${size}; the download was discarded`);
  }
  const sha = await sha256Of(part);
  if (expect.sha256 && sha !== expect.sha256) {
    rmSync(part);
    throw new IpcaeError('ERR_DATA', `${url}: SHA-256 ${sha} does not match the expected ${expect.sha256} for ${path.basename(dest)}; the download was discarded`);
  }
  renameSync(part, dest);
  return { file: dest, url, bytes: size, resumedFrom, sha256: sha, verified: Boolean(expect.sha256), skipped: false };
}

function unzip(bytes: Uint8Array, name: string): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes);
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `${name}: not a readable zip archive (${(e as Error).message})`);
  }
}

/** Unpacks the members a source asks for; returns the files written. */
export function extractMembers(archive: string, rules: NonNullable<RemoteFile['extract']>, destDir: string): string[] {
  const written: string[] = [];
  const members = unzip(readFileSync(archive), archive);
  for (const rule of rules) {
    const hits = Object.keys(members).filter((m) => rule.match.test(m) && !m.startsWith('__MACOSX/'));
    if (hits.length === 0) throw new IpcaeError('ERR_DATA', `${archive}: no member matches ${rule.match} (members: ${Object.keys(members).slice(0, 10).join(', ')})`);
    for (const m of hits) {
      if (rule.nested) {
        const inner = unzip(members[m], `${archive} → ${m}`);
        const innerHits = Object.keys(inner).filter((x) => rule.nested!.match.test(x));
        if (innerHits.length === 0) throw new IpcaeError('ERR_DATA', `${archive} → ${m}: no member matches ${rule.nested.match}`);
        for (const x of innerHits) {
          const to = path.join(destDir, rule.nested.to(x));
          writeAtomic(to, inner[x]);
          written.push(to);
        }
      } else {
        const to = path.join(destDir, rule.to(m));
        writeAtomic(to, members[m]);
        written.push(to);
      }
    }
  }
  return written;
}

export interface FetchOptions {
  baseUrl?: string;
  log?: (s: string) => void;
}

/** Fetches a dataset's files into <dataDir>/<name>/ (where its reader looks). */
export async function fetchDataset(name: string, dataDir: string, o: FetchOptions = {}): Promise<{ downloads: DownloadReport[]; extracted: string[] }> {
  const sources = SOURCES[name];
  if (!sources) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected one of ${Object.keys(SOURCES).join(', ')} for the dataset name but received '${name}'`);
  const dir = path.join(dataDir, name);
  const base = o.baseUrl ?? process.env.IPCAE_DATA_URL;
  const downloads: DownloadReport[] = [];
  const extracted: string[] = [];
  for (const s of sources) {
    const url = sourceUrl(s.url, base);
    o.log?.(`${name}: ${url}`);
    const r = await download(url, path.join(dir, s.save), { size: s.size, sha256: s.sha256 }, o.log);
    downloads.push(r);
    if (s.extract) extracted.push(...extractMembers(r.file, s.extract, dir));
  }
  return { downloads, extracted };
}
