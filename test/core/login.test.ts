// The login user an image expects, per vendor family and provider convention (core/login.ts).
import { describe, expect, it } from 'vitest';
import { familyOf, familyOfLineage, loginUserOf } from '../../source/core/login.js';

describe('the vendor family of an image', () => {
  it.each([
    ['ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250115', undefined, 'ubuntu'],
    ['debian-12-amd64-20250112-1993', undefined, 'debian'],
    ['al2023-ami-2023.6.20250115.0-kernel-6.1-x86_64', undefined, 'amazon'],
    ['amzn2-ami-kernel-5.10-hvm-2.0.20250108.0-x86_64-gp2', undefined, 'amazon'],
    ['amazon-linux-2023-x86_64-20261201', undefined, 'amazon'],
    ['RHEL-9.5.0_HVM-20250128-x86_64-0-Hourly2-GP3', undefined, 'rhel'],
    ['Rocky-9-EC2-Base-9.5-20241118.0.x86_64', 'Rocky Linux 9 (RHEL compatible)', 'rocky'],
    ['AlmaLinux OS 9.5.20241120 x86_64', undefined, 'alma'],
    ['alma-9-arm64-20261201', undefined, 'alma'],
    ['Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4', undefined, 'fedora'],
    ['suse-sles-15-sp6-v20241113-hvm-ssd-x86_64', undefined, 'suse'],
    ['Windows_Server-2022-English-Full-Base-2025.01.15', undefined, 'windows'],
    ['windows-2022-x86_64-20261201', undefined, 'windows'],
    ['CentOS-Stream-GenericCloud-9-20250120.0.x86_64.qcow2', undefined, 'centos'],
    ['golden-web-2026-11', undefined, undefined],
  ])('%s is %s', (name, description, family) => {
    expect(familyOf({ name, ...(description ? { description } : {}) })).toBe(family);
  });

  it('reads the platform the provider gives (EC2 PlatformDetails)', () => {
    expect(familyOf({ name: 'my-golden', platform: 'Red Hat Enterprise Linux' })).toBe('rhel');
  });

  it('goes up the lineage: an own image captured from a template is of the template\'s family', () => {
    expect(familyOfLineage([{ name: 'golden-web-2026-11' }, { name: 'debian-12-amd64-20250112' }])).toBe('debian');
    expect(familyOfLineage([{ name: 'golden-web' }])).toBeUndefined();
  });

  it('a display name a user gave is not evidence', () => {
    expect(familyOf({ name: 'golden-web', displayName: 'ubuntu please' })).toBeUndefined();
  });
});

describe('the login user', () => {
  it.each([
    ['ubuntu', 'ubuntu', 'ubuntu'],
    ['debian', 'admin', 'debian'],
    ['amazon', 'ec2-user', 'ec2-user'],
    ['rhel', 'ec2-user', 'cloud-user'],
    ['centos', 'ec2-user', 'cloud-user'],
    ['rocky', 'rocky', 'rocky'],
    ['alma', 'ec2-user', 'almalinux'],
    ['fedora', 'fedora', 'fedora'],
    ['suse', 'ec2-user', 'sles'],
  ] as const)('%s: %s on EC2, %s on generic cloud images', (family, ec2, cloud) => {
    expect(loginUserOf(family, 'ec2')).toBe(ec2);
    expect(loginUserOf(family, 'cloud')).toBe(cloud);
  });

  it('Windows has none: it takes no ssh login', () => {
    expect(loginUserOf('windows', 'ec2')).toBeUndefined();
  });
});
