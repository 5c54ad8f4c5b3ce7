import { todayInVietnam } from '../../lib/domain/administrative-units.ts';
import { cardStatusOn } from '../../lib/domain/health-insurance.ts';
import { resolveCitizenKey } from '../../lib/domain/references.ts';
import type { Resolvers } from './generated/resolvers.ts';

export const resolvers: Resolvers = {
  Citizen: {
    __resolveReference: resolveCitizenKey,
    socialInsurance: (c, _, ctx) => ctx.loaders.socialInsurance.load(c.personalId),
  },
  HealthInsuranceCard: {
    status: (card) => cardStatusOn(card, todayInVietnam()),
  },
};
