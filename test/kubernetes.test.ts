/**
 * The Kubernetes manifests of deploy/kubernetes/, validated against the Kubernetes API's schemas with
 * kubernetes-models (typed models whose validators are compiled from the Kubernetes OpenAPI
 * definitions and shipped in the package: it works offline), then checked for what the schemas
 * cannot say: probes, non-root, resources, and that every name a manifest refers to exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { deployedServiceSettings } from '../lib/runtime/process-settings.ts';
import { SERVICE_HEAP_OPTIONS } from '../lib/runtime/service-layout.ts';
import { settingsReadBy } from '../lib/runtime/settings.ts';
import { GATEWAY_PORT, SYSTEM_IDS, SYSTEMS } from '../lib/runtime/systems.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const manifestsDir = join(root, 'deploy/kubernetes');

/** The API objects this deployment uses, by `apiVersion/kind`, each with its validating model. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // Any: checked by the schemas first.
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return entry.name.endsWith('.yaml') && entry.name !== 'kustomization.yaml' ? [path] : [];
  });
}

const manifests: Manifest[] = yamlFiles(manifestsDir).flatMap((path) =>
  parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]!.message}`);
    return { ...(document.toJS() as Omit<Manifest, 'file'>), file: relative(manifestsDir, path) };
  }),
);
const of = (kind: string) => manifests.filter((m) => m.kind === kind);
const deployments = of('Deployment');
const deployment = (name: string) => deployments.find((d) => d.metadata.name === name)!;

/** Throws the validator's message when `object` does not match the Kubernetes schema of its kind. */
function validate(object: Omit<Manifest, 'file'>): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no Kubernetes model for ${object.apiVersion} ${object.kind}`);
  new Model(object as never).validate();
}

const clone = <T>(value: T): T => structuredClone(value);

describe('deploy/kubernetes', () => {
  it('validates every object against the Kubernetes API schemas (kubernetes-models)', () => {
    expect(manifests.length).toBeGreaterThan(15);
    for (const manifest of manifests) {
      const { file, ...object } = manifest;
      expect(() => validate(object), `${file}: ${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
    }
  });

  it('and the validator refuses broken copies of them', () => {
    const { file: _gatewayFile, ...gateway } = clone(deployment('gateway'));
    gateway.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => validate(gateway)).toThrow(/containerPort must be integer/);

    const { file: _f2, ...noContainers } = clone(deployment('land'));
    delete noContainers.spec.template.spec.containers;
    expect(() => validate(noContainers)).toThrow(/must have required property containers/);

    const { file: _f3, ...hpa } = clone(of('HorizontalPodAutoscaler')[0]!);
    hpa.spec.maxReplicas = '12';
    expect(() => validate(hpa)).toThrow(/maxReplicas must be integer/);

    const { file: _f4, ...probe } = clone(deployment('population'));
    probe.spec.template.spec.containers[0].livenessProbe.httpGet.path = 42;
    expect(() => validate(probe)).toThrow(/path must be string/);

    expect(() => validate({ ...clone(deployment('gateway')), apiVersion: 'extensions/v1beta1' })).toThrow(/no Kubernetes model/);
  });

  it('runs the gateway with an autoscaler and a disruption budget, and each subgraph behind a Service', () => {
    const hpa = of('HorizontalPodAutoscaler');
    expect(hpa.map((h) => h.spec.scaleTargetRef)).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' }]);
    expect(hpa[0]!.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(deployment('gateway').spec.replicas, "the autoscaler owns the gateway's replica count").toBeUndefined();
    const pdb = of('PodDisruptionBudget');
    expect(pdb.map((p) => p.spec.selector.matchLabels)).toContainEqual(deployment('gateway').spec.selector.matchLabels);
    for (const id of SYSTEM_IDS) {
      expect(deployment(id).spec.template.spec.containers[0].args).toEqual(['node', ...SERVICE_HEAP_OPTIONS, `dist/subgraphs/${id}/main.js`]);
      expect(deployment(`mock-${id}`).spec.template.spec.containers[0].args, 'a mock backend runs on V8 defaults').toEqual(['node', `dist/subgraphs/${id}/mock/main.js`]);
      expect(deployment(`mock-${id}`).file, 'mocks live in the development overlay').toMatch(/^development\//);
    }
    expect(deployment('gateway').spec.template.spec.containers[0].args).toEqual(['node', ...SERVICE_HEAP_OPTIONS, 'dist/gateway/main.js']);
  });

  it('gives every Service pods to send to, on a port the pods listen on', () => {
    for (const service of of('Service')) {
      const target = deployments.find((d) => Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
      expect(target, `Service ${service.metadata.name} selects a Deployment`).toBeDefined();
      const ports = target!.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name);
      for (const port of service.spec.ports) expect(ports).toContain(port.targetPort);
    }
    for (const d of deployments) expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
  });

  it('probes liveness on /health and readiness on /ready, and runs non-root on a read-only root with requests and limits', () => {
    for (const d of deployments) {
      const name = d.metadata.name;
      const pod = d.spec.template.spec;
      expect(pod.securityContext, name).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
      expect(pod.automountServiceAccountToken, name).toBe(false);
      for (const container of pod.containers) {
        expect(container.livenessProbe.httpGet.path, name).toBe('/health');
        expect(container.readinessProbe.httpGet.path, name).toBe(name.startsWith('mock-') ? '/health' : '/ready');
        expect(container.securityContext, name).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        for (const kind of ['requests', 'limits']) expect(Object.keys(container.resources[kind]).sort(), `${name} ${kind}`).toEqual(['cpu', 'memory']);
        const mounts = container.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
        expect(mounts, `${name}: a writable /tmp`).toContain('/tmp');
        expect(pod.volumes.find((v: { name: string }) => v.name === 'tmp').emptyDir, name).toBeDefined();
      }
    }
  });

  it('serves /metrics to Prometheus on a pod port of its own that no Service exposes', () => {
    for (const name of ['gateway', ...SYSTEM_IDS]) {
      const template = deployment(name).spec.template;
      const metrics = template.spec.containers[0].ports.find((p: { name: string }) => p.name === 'metrics');
      expect(metrics, name).toBeDefined();
      expect(template.metadata.annotations, name).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metrics.containerPort) });
    }
    for (const service of of('Service')) expect(service.spec.ports.map((p: { targetPort: string }) => p.targetPort)).not.toContain('metrics');
  });

  it('configures each process only with settings its schema reads (lib/runtime/process-settings.ts), on the default ports', () => {
    for (const d of deployments) {
      const known = new Set(settingsReadBy(deployedServiceSettings(d.metadata.name)).map((setting) => setting.name));
      for (const { name } of d.spec.template.spec.containers[0].env) expect(known.has(name), `${d.metadata.name}: ${name}`).toBe(true);
    }
    const env = (name: string) => Object.fromEntries(deployment(name).spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env('gateway').GATEWAY_PORT).toBe(String(GATEWAY_PORT));
    for (const id of SYSTEM_IDS) {
      const { envPrefix, subgraphPort, backendPort } = SYSTEMS[id];
      expect(env('gateway')[`${envPrefix}_SUBGRAPH_URL`]).toBe(`http://${id}:${subgraphPort}/graphql`);
      expect(env(id)[`${envPrefix}_SUBGRAPH_PORT`]).toBe(String(subgraphPort));
      expect(env(`mock-${id}`)[`${envPrefix}_BACKEND_PORT`]).toBe(String(backendPort));
    }
  });

  it("takes the secrets and PostgreSQL's address from Secrets whose template holds no real value", () => {
    const secrets = of('Secret');
    expect(secrets.every((s) => s.file === 'base/secrets.template.yaml')).toBe(true);
    for (const secret of secrets) {
      for (const [key, value] of Object.entries(secret.stringData ?? {})) {
        expect(/REPLACE|"keys": \[\]|^\[\]\n?$/.test(value), `${secret.metadata.name}/${key} is a placeholder`).toBe(true);
      }
      expect(secret.data, 'no base64 values').toBeUndefined();
    }
    const keys = new Set(secrets.flatMap((s) => Object.keys(s.stringData ?? {}).map((key) => `${s.metadata.name}/${key}`)));
    const configMaps = new Set(of('ConfigMap').flatMap((c) => Object.keys(c.data ?? {}).map((key) => `${c.metadata.name}/${key}`)));
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      for (const { valueFrom } of pod.containers[0].env) {
        if (valueFrom?.secretKeyRef) expect(keys, d.metadata.name).toContain(`${valueFrom.secretKeyRef.name}/${valueFrom.secretKeyRef.key}`);
        if (valueFrom?.configMapKeyRef) expect(configMaps, d.metadata.name).toContain(`${valueFrom.configMapKeyRef.name}/${valueFrom.configMapKeyRef.key}`);
      }
      for (const volume of pod.volumes) if (volume.secret) expect(secrets.map((s) => s.metadata.name)).toContain(volume.secret.secretName);
    }
    const gatewayEnv = deployment('gateway').spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    expect(gatewayEnv).toEqual(expect.arrayContaining(['DATABASE_URL', 'ACCESS_LOG_KEY', 'CALLER_ASSERTION_SECRET', 'AUTH_ISSUERS_FILE', 'API_KEYS_FILE']));
  });

  it('lists in each kustomization only files that exist, the secrets template in none, and no folder that contains it', () => {
    for (const dir of [join(manifestsDir, 'base'), join(manifestsDir, 'development')]) {
      const kustomization = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as {
        resources: string[];
        patches?: { path: string }[];
      };
      for (const path of [...kustomization.resources, ...(kustomization.patches ?? []).map((p) => p.path)]) {
        expect(existsSync(join(dir, path)), `${relative(root, dir)}: ${path}`).toBe(true);
        // kustomize refuses a base that contains the kustomization using it ("cycle detected").
        const inside = relative(join(dir, path), dir);
        expect(inside === '' || inside.startsWith('..'), `${relative(root, dir)}: ${path} contains it`).toBe(true);
      }
      expect(kustomization.resources).not.toContain('secrets.template.yaml');
    }
    const production = new Set(['namespace.yaml', 'backends.yaml', 'subgraphs.yaml', 'gateway.yaml']);
    for (const m of manifests) if (dirname(m.file) === 'base' && m.file !== 'base/secrets.template.yaml') expect(production, m.file).toContain(basename(m.file));
    expect(manifests.every((m) => m.kind === 'Namespace' || m.metadata.namespace === 'lien-thong')).toBe(true);
  });
});
