// VS Code client for the amct-lang language server (`amct-lang lsp`, stdio).
//
// The server is a Python program installed separately. If it cannot be started we show ONE
// error message that says what was tried and which setting to change, and we do not retry.

import { ChildProcess, spawn } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  State,
} from 'vscode-languageclient/node';

const SECTION = 'amctLang';
const LANGUAGE_ID = 'amct-cfg';
const NAME = 'AMCT config';
// A server that was running and crashes is restarted, but not more than this often.
const MAX_CRASHES = 4;
const CRASH_WINDOW_MS = 3 * 60 * 1000;
const HEADER = /^\s*#\s*(proto-message|amct-dialect|amct-model)\s*:/;
const HEADER_LINES = 5;

/** How the server is launched, and which setting that came from (for messages). */
interface Launch {
  command: string;
  args: string[];
  setting: string;
}

/** What we saw of the last server process: its exit and the end of its stderr. */
interface ProcessInfo {
  error?: NodeJS.ErrnoException;
  exit?: string;
  stderr: string;
}

/**
 * The language client. It stays quiet while the server starts: we report start failures
 * ourselves (one message), instead of the client's "couldn't create connection" plus stack.
 */
class AmctLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, this.state === State.Running ? showNotification : false);
  }
}

let client: AmctLanguageClient | undefined;
let serverWanted = false;
let output: vscode.OutputChannel;
let failureReported = false;
let crashes: number[] = [];

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel(NAME);
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand(`${SECTION}.restartServer`, restartServer),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // Other settings reach the running server through workspace/didChangeConfiguration.
      if (e.affectsConfiguration(`${SECTION}.server`) && client) {
        void restartServer();
      }
    }),
    vscode.workspace.onDidOpenTextDocument(onDidOpen),
    // pushed or pulled, the server's diagnostics end up here
    vscode.languages.onDidChangeDiagnostics((e) => {
      for (const uri of e.uris) {
        void offerOtherLanguage(uri, vscode.languages.getDiagnostics(uri));
      }
    }),
  );
  vscode.workspace.textDocuments.forEach(onDidOpen);
}

/**
 * VS Code maps `*.cfg` to "properties", and an extension match beats our `firstLine` rule, so a
 * `.cfg` file whose first lines hold a `# proto-message:` / `# amct-dialect:` / `# amct-model:`
 * header is claimed here. The server starts with the first AMCT config document (we are also
 * activated for "properties" files, which must not start it).
 */
function onDidOpen(doc: vscode.TextDocument): void {
  if ((doc.languageId === 'properties' || doc.languageId === 'plaintext') && /\.cfg$/i.test(doc.fileName)) {
    for (let i = 0; i < Math.min(doc.lineCount, HEADER_LINES); i++) {
      if (HEADER.test(doc.lineAt(i).text)) {
        void vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID); // reopens it as amct-cfg
        return;
      }
    }
  }
  if (doc.languageId === LANGUAGE_ID && !serverWanted) {
    serverWanted = true;
    void restartServer(); // the first start; activation does not wait for the server
  }
}

export async function deactivate(): Promise<void> {
  await stopServer();
}

let restarting: Promise<void> = Promise.resolve();

/** Restart, one at a time (a settings change and the command may come together). */
function restartServer(): Promise<void> {
  restarting = restarting.then(async () => {
    await stopServer();
    await startServer();
  });
  return restarting;
}

async function stopServer(): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.dispose();
    } catch {
      // A client whose server never started cannot be stopped; nothing to clean up.
    }
  }
}

async function startServer(): Promise<void> {
  failureReported = false;
  crashes = [];
  const launch = resolveLaunch();
  const info: ProcessInfo = { stderr: '' };
  output.appendLine(`Starting ${display(launch)}`);

  const serverOptions = () => spawnServer(launch, info);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: LANGUAGE_ID },
      { scheme: 'untitled', language: LANGUAGE_ID },
    ],
    initializationOptions: settingsForServer(),
    synchronize: { configurationSection: SECTION },
    outputChannel: output,
    errorHandler: {
      error: (_error, _message, count): ErrorHandlerResult => ({
        action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        handled: true,
      }),
      closed: (): CloseHandlerResult => onServerClosed(c, launch, info),
    },
    initializationFailedHandler: () => false,
  };

  const c = new AmctLanguageClient(SECTION, NAME, serverOptions, clientOptions);
  client = c;
  try {
    await c.start();
  } catch (err) {
    if (client === c) {
      void reportFailure(launch, info, err);
    }
  }
}

/** Start the server process; reject when it cannot be spawned (e.g. command not found). */
function spawnServer(launch: Launch, info: ProcessInfo): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    info.error = undefined;
    info.exit = undefined;
    info.stderr = '';
    const proc = spawn(launch.command, launch.args, { cwd: workspaceDir(), env: process.env });
    proc.once('spawn', () => resolve(proc));
    proc.once('error', (err: NodeJS.ErrnoException) => {
      info.error = err;
      reject(err);
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      info.stderr = (info.stderr + chunk.toString()).slice(-4000);
    });
    proc.once('exit', (code, signal) => {
      info.exit = signal ? `killed by ${signal}` : `exit code ${code}`;
    });
  });
}

function onServerClosed(c: AmctLanguageClient, launch: Launch, info: ProcessInfo): CloseHandlerResult {
  if (c.state !== State.Running) {
    // It died while starting (e.g. `lsp` unknown, module missing): report once, no restart.
    void reportFailure(launch, info);
    return { action: CloseAction.DoNotRestart, handled: true };
  }
  const now = Date.now();
  crashes = crashes.filter((t) => now - t < CRASH_WINDOW_MS);
  crashes.push(now);
  if (crashes.length > MAX_CRASHES) {
    void reportFailure(launch, info, undefined, `crashed ${crashes.length} times in 3 minutes`);
    return { action: CloseAction.DoNotRestart, handled: true };
  }
  output.appendLine(`The language server stopped (${info.exit ?? 'connection closed'}); restarting it.`);
  return { action: CloseAction.Restart, handled: true };
}

/** Show the one error message for a server that cannot run. */
async function reportFailure(launch: Launch, info: ProcessInfo, err?: unknown, what?: string): Promise<void> {
  if (failureReported) {
    return;
  }
  failureReported = true;
  await new Promise((r) => setTimeout(r, 300)); // let the exit code and stderr arrive

  const spawnError = info.error ?? (err as NodeJS.ErrnoException | undefined);
  let problem: string;
  if (spawnError?.code === 'ENOENT') {
    problem = 'command not found';
  } else if (spawnError?.code === 'EACCES') {
    problem = 'not executable';
  } else {
    problem = what ?? `exited at once${info.exit ? ` with ${info.exit}` : ''}`;
    const lastLine = info.stderr.trim().split(/\r?\n/).pop()?.trim();
    if (lastLine) {
      problem += `: ${lastLine.length > 200 ? lastLine.slice(0, 200) + '...' : lastLine}`;
    }
  }
  output.appendLine(`Could not start ${display(launch)}: ${problem}`);

  // One short sentence, plain text (notifications show no Markdown); the details are in the output.
  // amct-lang is installed from its checkout (it is not on PyPI).
  const message = `${NAME}: cannot start "${display(launch)}" (${shorten(problem)}); run pip install '.[lsp]' in the amct-lang checkout.`;
  const choice = await vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output');
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server`);
  } else if (choice === 'Show Output') {
    output.show();
  }
}

/** `amctLang.server.command`, else `<pythonPath> -m amct_lang lsp`, else `amct-lang lsp`. */
function resolveLaunch(): Launch {
  const config = vscode.workspace.getConfiguration(SECTION);
  const command = (config.get<string[]>('server.command') ?? []).filter((s) => s.trim() !== '');
  if (command.length > 0) {
    return { command: expandPath(command[0]), args: command.slice(1), setting: `${SECTION}.server.command` };
  }
  const python = (config.get<string>('server.pythonPath') ?? '').trim();
  if (python) {
    return { command: expandPath(python), args: ['-m', 'amct_lang', 'lsp'], setting: `${SECTION}.server.pythonPath` };
  }
  return { command: 'amct-lang', args: ['lsp'], setting: '' };
}

/** The settings as a plain object, sent as initializationOptions. */
function settingsForServer(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    server: {
      command: config.get<string[]>('server.command', []),
      pythonPath: config.get<string>('server.pythonPath', ''),
    },
    model: config.get<string>('model', ''),
    dialect: config.get<string>('dialect', ''),
    lint: { run: config.get<string>('lint.run', 'onType') },
    trace: { server: config.get<string>('trace.server', 'off') },
  };
}

function workspaceDir(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Expand `${workspaceFolder}` and `~`; a relative path with a slash is taken from the workspace. */
function expandPath(p: string): string {
  const folder = workspaceDir();
  let result = p.replace(/\$\{workspaceFolder\}/g, folder ?? '.');
  if (result === '~' || result.startsWith('~/')) {
    result = path.join(os.homedir(), result.slice(1));
  }
  if (folder && !path.isAbsolute(result) && /[\\/]/.test(result)) {
    result = path.join(folder, result);
  }
  return result;
}

function shorten(problem: string): string {
  return problem.length > 80 ? problem.slice(0, 77) + '...' : problem;
}

// The server marks a file that is plainly not an AMCT config (a Python or INI file caught by a
// name pattern) with this code; the user is offered the language it seems to be, once per file.
const FOREIGN_CODE = 'SYN008';
const LANGUAGES: Record<string, string> = {
  Python: 'python', INI: 'ini', JSON: 'json', XML: 'xml', YAML: 'yaml', 'shell script': 'shellscript',
};
const offered = new Set<string>();

async function offerOtherLanguage(uri: vscode.Uri, diagnostics: readonly vscode.Diagnostic[]): Promise<void> {
  const note = diagnostics.find((d) => d.source === 'amct-lang' && codeOf(d) === FOREIGN_CODE);
  if (!note || offered.has(uri.toString())) {
    return;
  }
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc || doc.languageId !== LANGUAGE_ID) {
    return;
  }
  offered.add(uri.toString());
  const language = /looks like an? (.+?) file/.exec(note.message)?.[1] ?? '';
  const known = await vscode.languages.getLanguages();
  const id = LANGUAGES[language];
  const choices = [...(id && known.includes(id) ? [`Open as ${language}`] : []), 'Open as Plain Text'];
  const choice = await vscode.window.showInformationMessage(
    `${path.basename(uri.fsPath)} looks like ${/^[AEIOU]/.test(language) ? 'an' : 'a'} ${language || 'other'} file, not an AMCT config.`,
    ...choices);
  if (choice) {
    await vscode.languages.setTextDocumentLanguage(doc, choice === 'Open as Plain Text' ? 'plaintext' : id);
  }
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' && d.code !== null ? String(d.code.value) : String(d.code ?? '');
}

function display(launch: Launch): string {
  return [launch.command, ...launch.args].join(' ');
}
