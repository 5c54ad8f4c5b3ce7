import { describe, expect, it } from 'vitest';
import { civilRegistryOffice, landCertificateIssuer } from './issuing-authorities.ts';

describe('issuing authorities of their time', () => {
  it('names the Sở Tài nguyên và Môi trường before 2025-03-01 and the Sở Nông nghiệp và Môi trường from then, in the province of the day', () => {
    expect(landCertificateIssuer('036', '2025-02-28')).toEqual({ name: 'Sở Tài nguyên và Môi trường tỉnh Nam Định', act: null });
    expect(landCertificateIssuer('036', '2025-03-01')).toEqual({ name: 'Sở Nông nghiệp và Môi trường tỉnh Nam Định', act: 'Nghị quyết 176/2025/QH15' });
    expect(landCertificateIssuer('036', '2025-07-01').name).toBe('Sở Nông nghiệp và Môi trường tỉnh Ninh Bình');
    expect(landCertificateIssuer('046', '2024-12-31').name).toBe('Sở Tài nguyên và Môi trường tỉnh Thừa Thiên Huế');
    expect(landCertificateIssuer('046', '2025-01-01').name).toBe('Sở Tài nguyên và Môi trường thành phố Huế');
  });

  it('keeps the district in a registry office only before 2025-07-01', () => {
    expect(civilRegistryOffice('phường Dịch Vọng Hậu', '001', '2025-06-30', 'quận Cầu Giấy').name).toBe('UBND phường Dịch Vọng Hậu, quận Cầu Giấy, thành phố Hà Nội');
    expect(civilRegistryOffice('phường Cầu Giấy', '001', '2025-07-01', 'quận Cầu Giấy').name).toBe('UBND phường Cầu Giấy, thành phố Hà Nội');
    expect(civilRegistryOffice('xã Nam Thanh', '036', '2025-07-01').name).toBe('UBND xã Nam Thanh, tỉnh Ninh Bình');
  });
});
