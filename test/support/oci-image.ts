import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface OciImage {
  /** Directory holding the OCI layout; `oci:${dir}:${tag}` for skopeo. */
  dir: string;
  tag: string;
  /** sha256:… of the manifest, as a registry reports it after a push. */
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A one-file ustar archive (the smallest layer a registry and skopeo accept as real). */
function tarOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(content.length, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

async function writeBlob(dir: string, data: Buffer, mediaType: string): Promise<Descriptor> {
  const digest = sha256(data);
  await writeFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), data);
  return { mediaType, digest, size: data.length };
}

/**
 * Writes a minimal valid OCI image layout (one gzip layer, config, manifest, index.json) into `dir`.
 * `content` varies the layer so two images get different digests.
 */
export async function writeOciImage(
  dir: string,
  tag = 'latest',
  content = 'hello from docker-credential-bridge tests\n',
): Promise<OciImage> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const tar = tarOneFile('hello.txt', Buffer.from(content, 'utf8'));
  const layer = await writeBlob(dir, gzipSync(tar), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
  };
  const configDesc = await writeBlob(dir, Buffer.from(JSON.stringify(config)), 'application/vnd.oci.image.config.v1+json');
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: configDesc,
    layers: [layer],
  };
  const manifestDesc = await writeBlob(dir, Buffer.from(JSON.stringify(manifest)), 'application/vnd.oci.image.manifest.v1+json');
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { dir, tag, manifestDigest: manifestDesc.digest, configDigest: configDesc.digest, layerDigest: layer.digest };
}
